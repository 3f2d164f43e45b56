'use strict';
// ajv_bench.js: the same measurement as tests/bench/schema_bench.c, with
// JSON.parse and ajv 8 (draft 2020-12, ajv-formats) in place of jansson and
// cxpipe's engine, for scripts/bench.  ajv stops at the first error, as
// cxpipe does.  Goes over the events file's lines round-robin COUNT times
// twice, "full" (JSON.parse + validate) and "parse" (JSON.parse only),
// after one untimed warm-up pass that counts the verdicts, and prints:
//
//   COUNT FULL_CPU PARSE_CPU VALID INVALID NOT_JSON FULL_WALL PARSE_WALL
//
// in seconds of CPU time (the process's, GC threads included) and of
// wall-clock time.
//   NODE_PATH=DIR/node_modules node ajv_bench.js [--count N]
//       [--verdicts FILE] SCHEMA EVENTS
//
// ajv and ajv-formats are not the project's dependencies: scripts/bench
// installs them into a temporary directory (npm install --prefix).
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

function usage() {
	process.stderr.write('usage: ajv_bench.js [--count N] [--verdicts FILE] SCHEMA EVENTS\n');
	process.exit(2);
}

let count = 1000000;
let verdicts = null;
const args = process.argv.slice(2);
while (args.length > 0 && args[0].startsWith('--')) {
	const opt = args.shift();
	if (args.length === 0)
		usage();
	if (opt === '--count') {
		count = Number(args.shift());
		if (!Number.isInteger(count) || count <= 0)
			usage();
	} else if (opt === '--verdicts') {
		verdicts = args.shift();
	} else {
		usage();
	}
}
if (args.length !== 2)
	usage();

const ajv = new Ajv2020({ allErrors: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(args[0], 'utf8')));
const lines = fs.readFileSync(args[1], 'utf8').split('\n').filter((l) => l.length > 0);
if (lines.length === 0) {
	process.stderr.write(`${args[1]}: no events\n`);
	process.exit(1);
}

// Parses and validates one line: 1 valid, 0 not, -1 not JSON.
function event(line) {
	let ev;
	try {
		ev = JSON.parse(line);
	} catch (e) {
		return -1;
	}
	return validate(ev) ? 1 : 0;
}

// Parses one line; 0, or -1 when it is not JSON.
function parse(line) {
	try {
		return JSON.parse(line) === undefined ? 1 : 0;
	} catch (e) {
		return -1;
	}
}

const seen = [0, 0, 0];
const out = [];
for (const line of lines) {
	const r = event(line);
	seen[r + 1]++;
	out.push(r === 1 ? 'valid' : r === 0 ? 'invalid' : 'not-json');
}
if (verdicts !== null)
	fs.writeFileSync(verdicts, out.join('\n') + '\n');

// Runs fn over the lines round-robin count times: [CPU s, wall s, sink].
function timed(fn) {
	let sink = 0;
	let k = 0;
	const c0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < count; i++) {
		sink += fn(lines[k]);
		if (++k === lines.length)
			k = 0;
	}
	const wall = Number(process.hrtime.bigint() - t0) / 1e9;
	const c = process.cpuUsage(c0);
	return [(c.user + c.system) / 1e6, wall, sink];
}

const full = timed(event);
const parseOnly = timed(parse);
if (full[2] + parseOnly[2] === 0.5)	// never: keeps the results alive
	process.stderr.write('\n');
process.stdout.write(`${count} ${full[0].toFixed(6)} ${parseOnly[0].toFixed(6)} ` +
    `${seen[2]} ${seen[1]} ${seen[0]} ${full[1].toFixed(6)} ${parseOnly[1].toFixed(6)}\n`);
