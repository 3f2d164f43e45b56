/*
 * webhook_receiver: a test's webhook endpoint.  Listens on 127.0.0.1 (a
 * free port, written to PORTFILE once listening), appends each POST body as
 * one line to OUTFILE and answers 200 -- or 500 (and appends the body to
 * OUTFILE.refused) during the first FAIL_SECONDS after start.  Runs until
 * killed.
 *
 * usage: webhook_receiver PORTFILE OUTFILE [FAIL_SECONDS]
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

struct recv {
	FILE	*out;
	FILE	*refused;
	time_t	 fail_until;
};

/* Writes one request body as a line to f. */
static void
recv_write_body(FILE *f, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 n = evbuffer_get_length(in);
	char		*p = malloc(n + 1);

	if (p == NULL)
		abort();
	evbuffer_copyout(in, p, n);
	p[n] = '\0';
	fprintf(f, "%s\n", p);
	fflush(f);
	free(p);
}

static void
recv_request_cb(struct evhttp_request *req, void *arg)
{
	struct recv	*r = arg;

	if (time(NULL) < r->fail_until) {
		recv_write_body(r->refused, req);
		evhttp_send_reply(req, 500, "Refused for the test", NULL);
		return;
	}
	recv_write_body(r->out, req);
	evhttp_send_reply(req, 200, "OK", NULL);
}

int
main(int argc, char **argv)
{
	struct event_base		*base;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bs;
	struct recv			 r;
	char				 path[4096];
	FILE				*pf;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: webhook_receiver PORTFILE OUTFILE "
		    "[FAIL_SECONDS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s.refused", argv[2]);
	if ((r.out = fopen(argv[2], "a")) == NULL ||
	    (r.refused = fopen(path, "a")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	r.fail_until = time(NULL) + (argc == 4 ? atoi(argv[3]) : 0);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, recv_request_cb, &r);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) == NULL) {
		fprintf(stderr, "webhook_receiver: cannot listen\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s.tmp", argv[1]);
	if ((pf = fopen(path, "w")) == NULL) {
		perror(path);
		return 1;
	}
	{
		struct sockaddr_storage	 ss;
		socklen_t		 len = sizeof(ss);
		evutil_socket_t		 fd = evhttp_bound_socket_get_fd(bs);

		getsockname(fd, (struct sockaddr *)&ss, &len);
		fprintf(pf, "%u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	fclose(pf);
	rename(path, argv[1]);
	event_base_dispatch(base);
	return 0;
}
