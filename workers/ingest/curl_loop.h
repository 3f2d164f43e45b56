/*
 * libcurl's multi interface driven by a libevent base: one event per socket
 * that libcurl asks about, one timer, finished transfers collected after
 * every call into libcurl and handed to their owner's callback.
 */
#ifndef CXPIPE_CURL_LOOP_H
#define CXPIPE_CURL_LOOP_H

#include <curl/curl.h>

struct event_base;
struct curl_loop;

/*
 * Called once per finished transfer, after the loop has detached the easy
 * handle from the multi handle and forgotten it: the callee owns the handle
 * again and cleans it up.  It may add or remove other transfers.
 */
typedef void (*curl_done_cb)(void *arg, CURL *easy, CURLcode result);

/* Returns a new loop on base (never NULL: exits when libcurl cannot start). */
struct curl_loop *curl_loop_new(struct event_base *);
/* Frees the loop; transfers still in it are detached without a callback
 * (their owners should have removed them first). */
void	 curl_loop_free(struct curl_loop *);
/* Starts a transfer; the loop owns the handle's CURLOPT_PRIVATE until the
 * callback or curl_loop_remove.  Returns 0, or -1 (logged) on failure. */
int	 curl_loop_add(struct curl_loop *, CURL *easy, curl_done_cb, void *arg);
/* Cancels a transfer: no callback follows.  A handle the loop does not hold
 * (finished already, or never added) is ignored. */
void	 curl_loop_remove(struct curl_loop *, CURL *easy);
/* Transfers in progress. */
int	 curl_loop_count(const struct curl_loop *);
/* The event base the loop runs on, for its users' own timers. */
struct event_base *curl_loop_base(const struct curl_loop *);

#endif
