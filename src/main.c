#include "autoconf.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "master.h"
#include "preflight.h"
#include "proto.h"
#include "../workers/alert/alert.h"
#include "../workers/ingest/ingest.h"
#include "../workers/pgsink/pgsink.h"
#include "../workers/validate/validate.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxpiped [-f] -c FILE     run the daemon (-f: stay in the foreground)\n"
	    "       cxpiped -t -c FILE       check a configuration file and exit\n"
	    "       cxpiped --print-sample-config\n"
	    "       cxpiped --version | --help\n"
	    "\n"
	    "cxpiped takes NICE CXone event streams into PostgreSQL: see cxpiped(8).\n");
}

/* `cxpiped -t`: parses the file and checks what it refers to, like nginx -t. */
static int
check_config(const char *path)
{
	struct config	*c;
	char		 err[1024], *text;
	int		 r;

	if ((c = config_load(path, &text, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxpiped: %s\ncxpiped: configuration file %s test failed\n",
		    err, path);
		return 1;
	}
	free(text);
	r = preflight_check(c, err, sizeof(err));
	config_free(c);
	if (r == -1) {
		fprintf(stderr, "cxpiped: %s\ncxpiped: configuration file %s test failed\n",
		    err, path);
		return 1;
	}
	printf("cxpiped: configuration file %s syntax is ok\n"
	    "cxpiped: configuration file %s test is successful\n", path, path);
	return 0;
}

/* A worker process: the master started it as `cxpiped --worker=ROLE`. */
static int
run_worker(const char *role)
{
	log_init(role, "stderr");
	switch (role_parse(role)) {
	case ROLE_INGEST:
		return ingest_main();
	case ROLE_VALIDATE:
		return validate_main();
	case ROLE_PGSINK:
		return pgsink_main();
	case ROLE_ALERT:
		return alert_main();
	default:
		fprintf(stderr, "cxpiped: unknown worker role \"%s\"\n", role);
		return 2;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "worker", required_argument, NULL, 'W' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "print-sample-config", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*conf_path = NULL;
	bool		 foreground = false, test = false;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "c:fth", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			test = true;
			break;
		case 'W':
			return run_worker(optarg);
		case 'V':
			printf("cxpiped %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'S':
			config_print_sample(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cxpiped: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (conf_path == NULL)
		conf_path = SYSCONFDIR "/cxpipe/cxpipe.conf";
	if (test)
		return check_config(conf_path);
	return master_main(conf_path, foreground);
}
