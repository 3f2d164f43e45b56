/*
 * schema_ref.c: resolve the "$ref"s recorded while compiling, once the
 * whole document is compiled: a fragment is %-decoded and walked as a JSON
 * pointer, and its target, if no keyword compiled it, is compiled then.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"

/* Return a %XX-decoded copy of s (*len bytes), NULL if malformed; caller frees. */
static char *
compile_percent_decode(const char *s, size_t *len)
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

/* Return the child of v named by one unescaped JSON pointer token, or NULL. */
static json_t *
compile_pointer_step(json_t *v, const char *tok, size_t len)
{
	size_t	 i, index = 0;

	if (json_is_object(v))
		return json_object_getn(v, tok, len);
	if (!json_is_array(v) || len == 0 || (len > 1 && tok[0] == '0'))
		return NULL;
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9' || index > SIZE_MAX / 10 - 1)
			return NULL;
		index = index * 10 + (size_t)(tok[i] - '0');
	}
	return json_array_get(v, index);
}

/* Return what the JSON pointer ptr (len bytes, unescaped in place) names in doc. */
static json_t *
compile_pointer_walk(json_t *doc, char *ptr, size_t len)
{
	size_t	 i = 0, start, n;

	if (len > 0 && ptr[0] != '/')
		return NULL;
	while (doc != NULL && i < len) {
		start = ++i;
		for (n = start; i < len && ptr[i] != '/'; i++) {
			if (ptr[i] == '~' && i + 1 < len &&
			    (ptr[i + 1] == '0' || ptr[i + 1] == '1'))
				ptr[n++] = ptr[++i] == '0' ? '~' : '/';
			else if (ptr[i] == '~')
				return NULL;
			else
				ptr[n++] = ptr[i];
		}
		doc = compile_pointer_step(doc, ptr + start, n - start);
	}
	return doc;
}

/* Resolve one "$ref" to a node, compiling its target if nothing did yet. */
static int
compile_resolve_ref(struct compile_ctx *cc, struct schema_node *n,
    const char *ref)
{
	const char	*frag = ref;
	char		*ptr;
	size_t		 len, i, idlen;
	json_t		*target;

	idlen = cc->s->id ? strcspn(cc->s->id, "#") : 0;
	if (idlen > 0 && strncmp(ref, cc->s->id, idlen) == 0 &&
	    (ref[idlen] == '#' || ref[idlen] == '\0'))
		frag += idlen;
	if (*frag == '\0')
		frag = "#";
	if (*frag != '#')
		return compile_error(cc, "cannot resolve \"%s\": only references "
		    "within this document are supported", ref);
	if ((ptr = compile_percent_decode(frag + 1, &len)) == NULL)
		return compile_error(cc, "bad %%-escape in \"%s\"", ref);
	if (len > 0 && ptr[0] != '/') {
		free(ptr);
		return compile_error(cc, "cannot resolve \"%s\": anchors are not "
		    "supported yet", ref);
	}
	target = compile_pointer_walk(cc->doc, ptr, len);
	free(ptr);
	if (target == NULL)
		return compile_error(cc, "cannot resolve \"%s\"", ref);
	for (i = 0; i < cc->n_seen; i++)
		if (cc->seen[i].json == target) {
			n->ref = cc->seen[i].node;
			return 0;
		}
	/* A schema in an unknown keyword ("definitions"): compile it now. */
	compile_path_pop(cc, 0);
	compile_buf_adds(&cc->path, frag + 1);
	return (n->ref = compile_node(cc, target)) == NULL ? -1 : 0;
}

/* Resolve every recorded "$ref", including those of targets compiled meanwhile. */
int
compile_resolve_refs(struct compile_ctx *cc)
{
	struct compile_ref	 r;
	size_t			 i;

	for (i = 0; i < cc->n_refs; i++) {
		r = cc->refs[i];
		compile_path_pop(cc, 0);
		compile_buf_adds(&cc->path, r.path);
		if (compile_resolve_ref(cc, r.node, r.ref) != 0)
			return -1;
	}
	return 0;
}
