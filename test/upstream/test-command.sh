#!/bin/sh
# Stands in for libguestfs's tests/c-api/test-command helper: what the command,
# command-lines, sh and sh-lines tests run in the guest. Argument N picks the output.
case "$1" in
  1) printf 'Result1' ;;
  2) printf 'Result2\n' ;;
  3) printf '\nResult3' ;;
  4) printf '\nResult4\n' ;;
  5) printf '\nResult5\n\n' ;;
  6) printf '\n\nResult6\n\n' ;;
  7) ;;
  8) printf '\n' ;;
  9) printf '\n\n' ;;
  10) printf 'Result10-1\nResult10-2\n' ;;
  11) printf 'Result11-1\nResult11-2' ;;
  '') echo "test-command: missing parameter" >&2; exit 1 ;;
  *) echo "test-command: unknown parameter: $1" >&2; exit 1 ;;
esac
