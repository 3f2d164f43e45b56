/*
 * Channels: framed messages (proto.h) over a non-blocking Unix stream socket
 * on a libevent loop, with file descriptor passing for the control channel.
 */
#ifndef CXPIPE_CHANNEL_H
#define CXPIPE_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct event_base;
struct channel;

/* Called once per complete frame.  fd is a passed descriptor (owned by the
 * callee) or -1.  The payload is valid only during the call. */
typedef void (*channel_msg_cb)(struct channel *, const struct msg_hdr *,
    const uint8_t *payload, int fd, void *arg);
/* Called once when the peer closes or the channel fails; the callee usually
 * frees the channel (freeing inside a callback is safe). */
typedef void (*channel_eof_cb)(struct channel *, const char *why, void *arg);
/* Called when queued output falls below the low-water mark. */
typedef void (*channel_drain_cb)(struct channel *, void *arg);

struct channel	*channel_new(struct event_base *, int fd, const char *name,
		    channel_msg_cb, channel_eof_cb, void *arg);
void		 channel_free(struct channel *);
void		 channel_set_drain_cb(struct channel *, channel_drain_cb, size_t lowat);
/* Queues one frame.  Returns 0, or -1 if the channel is closed. */
int		 channel_send(struct channel *, uint16_t type, uint32_t flags,
		    uint64_t seq, const void *payload, size_t len);
/* Queues one frame whose payload is two parts, without joining them first. */
int		 channel_send2(struct channel *, uint16_t type, uint32_t flags,
		    uint64_t seq, const void *p1, size_t l1, const void *p2, size_t l2);
/* Queues one frame carrying fd (which stays owned by the caller). */
int		 channel_send_fd(struct channel *, uint16_t type, uint32_t flags,
		    uint64_t seq, const void *payload, size_t len, int fd);
/* Bytes queued and not yet written to the socket. */
size_t		 channel_pending(const struct channel *);
/* Stops or resumes reading and dispatching frames (flow control). */
void		 channel_pause(struct channel *, bool);
bool		 channel_is_paused(const struct channel *);
/* Writes what is queued, blocking up to timeout_ms; for exits and cxpipectl. */
int		 channel_flush(struct channel *, int timeout_ms);
const char	*channel_name(const struct channel *);
int		 channel_fd(const struct channel *);

#endif
