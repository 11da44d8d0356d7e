#!/bin/sh
# Stands in for libguestfs's tests/c-api/test-pwd helper: prints the working directory, no newline.
printf '%s' "$(pwd)"
