# Shared by the shell tests: sourced with $1 the convbench binary and $2 the
# source root. Sets bin (absolute), src, a temporary folder tmp removed on
# exit, and the counting helpers; a test ends with `report`.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
expect_exit() { # expected actual what
    if [ "$1" -eq "$2" ]; then ok; else bad "$3: exit $2, want $1"; fi
}
# report: the counts, and the exit status of the test
report() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
