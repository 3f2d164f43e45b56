/*
 * schema_uri.c: URI references as RFC 3986 section 5 resolves them
 * against a base URI (remove_dot_segments included), and %-decoding of
 * fragments.  No normalization beyond that: URIs name documents and
 * resources by exact comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* The five components of a URI reference; a NULL part is undefined. */
struct uri_parts {
	const char	*scheme, *auth, *path, *query, *frag;
	size_t		 scheme_len, auth_len, path_len, query_len, frag_len;
};

/* Split s into its components (RFC 3986 appendix B). */
static void
uri_split(const char *s, struct uri_parts *u)
{
	size_t	 i;

	memset(u, 0, sizeof(*u));
	i = strcspn(s, ":/?#");
	if (s[i] == ':' && i > 0 && ((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z'))) {
		u->scheme = s;
		u->scheme_len = i;
		s += i + 1;
	}
	if (s[0] == '/' && s[1] == '/') {
		u->auth = s + 2;
		u->auth_len = strcspn(s + 2, "/?#");
		s = u->auth + u->auth_len;
	}
	u->path = s;
	u->path_len = strcspn(s, "?#");
	s += u->path_len;
	if (*s == '?') {
		u->query = s + 1;
		u->query_len = strcspn(s + 1, "#");
		s = u->query + u->query_len;
	}
	if (*s == '#') {
		u->frag = s + 1;
		u->frag_len = strlen(s + 1);
	}
}

/* Drop the last segment (and its "/") from what out holds after base. */
static void
uri_pop_segment(struct compile_buf *out, size_t base)
{
	while (out->len > base && out->p[out->len - 1] != '/')
		out->len--;
	if (out->len > base)
		out->len--;
	out->p[out->len] = '\0';
}

/* Append path (len bytes) to out without "." and ".." segments (5.2.4). */
static void
uri_remove_dots(struct compile_buf *out, const char *path, size_t len)
{
	char	*copy, *in, *end, *seg;
	size_t	 base = out->len;

	copy = compile_xstrndup(path, len);
	in = copy;
	end = copy + len;
	while (in < end) {
		if (strncmp(in, "../", 3) == 0)
			in += 3;
		else if (strncmp(in, "./", 2) == 0)
			in += 2;
		else if (strncmp(in, "/./", 3) == 0)
			in += 2;
		else if (end - in == 2 && strncmp(in, "/.", 2) == 0)
			*++in = '/';
		else if (strncmp(in, "/../", 4) == 0) {
			in += 3;
			uri_pop_segment(out, base);
		} else if (end - in == 3 && strncmp(in, "/..", 3) == 0) {
			in += 2;
			*in = '/';
			uri_pop_segment(out, base);
		} else if ((end - in == 1 && in[0] == '.') ||
		    (end - in == 2 && strncmp(in, "..", 2) == 0))
			in = end;
		else {
			seg = in++;
			while (in < end && *in != '/')
				in++;
			compile_buf_add(out, seg, (size_t)(in - seg));
		}
	}
	free(copy);
}

/* Append the part [s, s + len) of a URI, if defined, after prefix. */
static void
uri_add_part(struct compile_buf *out, const char *prefix, const char *s,
    size_t len)
{
	if (s == NULL)
		return;
	compile_buf_adds(out, prefix);
	compile_buf_add(out, s, len);
}

/* Return ref resolved against base (RFC 3986 5.2.2); the caller frees it. */
char *
schema_uri_resolve(const char *base, const char *ref)
{
	struct uri_parts	 b, r;
	struct compile_buf	 out = { NULL, 0, 0 }, merged = { NULL, 0, 0 };
	size_t			 cut;

	uri_split(base, &b);
	uri_split(ref, &r);
	compile_buf_add(&out, "", 0);
	if (r.scheme != NULL) {
		compile_buf_add(&out, r.scheme, r.scheme_len);
		compile_buf_add(&out, ":", 1);
	} else if (b.scheme != NULL) {
		compile_buf_add(&out, b.scheme, b.scheme_len);
		compile_buf_add(&out, ":", 1);
	}
	if (r.scheme != NULL || r.auth != NULL) {
		uri_add_part(&out, "//", r.auth, r.auth_len);
		uri_remove_dots(&out, r.path, r.path_len);
		uri_add_part(&out, "?", r.query, r.query_len);
	} else {
		uri_add_part(&out, "//", b.auth, b.auth_len);
		if (r.path_len == 0) {
			compile_buf_add(&out, b.path, b.path_len);
			if (r.query != NULL)
				uri_add_part(&out, "?", r.query, r.query_len);
			else
				uri_add_part(&out, "?", b.query, b.query_len);
		} else {
			compile_buf_add(&merged, "", 0);
			if (r.path[0] != '/') {
				if (b.auth != NULL && b.path_len == 0)
					compile_buf_add(&merged, "/", 1);
				for (cut = b.path_len; cut > 0 &&
				    b.path[cut - 1] != '/'; cut--)
					;
				compile_buf_add(&merged, b.path, cut);
			}
			compile_buf_add(&merged, r.path, r.path_len);
			uri_remove_dots(&out, merged.p, merged.len);
			free(merged.p);
			uri_add_part(&out, "?", r.query, r.query_len);
		}
	}
	uri_add_part(&out, "#", r.frag, r.frag_len);
	return out.p;
}

/* Return uri without its fragment; the caller frees it. */
char *
schema_uri_strip_fragment(const char *uri)
{
	return compile_xstrndup(uri, strcspn(uri, "#"));
}

/* Return a %XX-decoded copy of s (*len bytes), NULL if malformed; caller frees. */
char *
schema_percent_decode(const char *s, size_t *len)
{
	char	*out, hex[3] = { 0, 0, 0 };
	size_t	 i, n = 0;

	out = compile_xcalloc(strlen(s) + 1, 1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (compile_count_hex(s + i + 1, 2, 2) != 2) {
			free(out);
			return NULL;
		}
		memcpy(hex, s + i + 1, 2);
		out[n++] = (char)strtol(hex, NULL, 16);
		i += 2;
	}
	*len = n;
	return out;
}
