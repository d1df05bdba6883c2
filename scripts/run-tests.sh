#!/bin/sh
# One node:test runner over the given files or globs: the spec reporter (with its closing summary) on stdout, and the
# skip reporter on stderr, which lists skipped tests and fails the run when CI=true (scripts/skip-reporter.ts).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
exec node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter="$here/skip-reporter.ts" --test-reporter-destination=stderr \
  "$@"
