#!/bin/sh
# What the result files survive: -o naming a device, a symlink, a directory;
# two signals in a row; a signal while the charts are drawn; a full disk
# between the CSV and its .meta; temporary files of killed runs. And input
# that must be refused at once: FIFOs and devices as configs, malformed
# option values, two configs writing one result, --max-memory beyond the
# machine. Usage: robustness.sh PATH/TO/convbench SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
# expect_message WANT FILE WHAT: FILE holds the line WANT
expect_message() {
    grep -qxF -- "$1" "$2" && ok || bad "$3: got '$(head -c 300 "$2")', want '$1'"
}
seed=$src/configs/seed.ini
# a layer slow enough (naive, about 0.5 GMACs) that a signal lands in its row
cat >"$tmp/slow.ini" <<'EOF'
[slow]
in = 64x112x112
out = 64
kernel = 3
pad = 1
EOF
started=$(date +%s)
# step WHAT: says what runs next and when (seconds since the start), so that
# the log of a test that ran out of time shows where it was
step() { echo "[$(($(date +%s) - started)) s] $*"; }

# start ARGS...: runs convbench in the background as $pid, with a watchdog
# that kills it after 120 s: a run that hangs fails this test with a
# message, never stalls it (the watchdog writes nowhere, so that nothing
# left behind holds the test's output open)
start() {
    "$bin" "$@" &
    pid=$!
    (sleep 120 && kill -KILL "$pid") >/dev/null 2>&1 </dev/null &
    watchdog=$!
}
# finish: waits for $pid and stops its watchdog; returns its exit status
finish() {
    wait "$pid"
    status=$?
    kill "$watchdog" 2>/dev/null
    [ "$status" -ne 137 ] || bad "convbench (process $pid) was still running after 120 s: killed"
    return "$status"
}
# wait_lines PATTERN N: waits until the file PATTERN names has at least N
# lines; fails at once when $pid has exited
wait_lines() {
    while kill -0 "$pid" 2>/dev/null; do
        [ "$(cat $1 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# -o naming a device: written in place, still a device, no .meta, no rename
step "-o naming a device"
if mknod "$tmp/null" c 1 3 2>/dev/null; then
    "$bin" --verify-only -q -t 1 -l regular -o "$tmp/null" "$seed" >/dev/null 2>"$tmp/err.txt"
    expect_exit 0 $? "-o a character device"
    [ -c "$tmp/null" ] && ok || bad "-o a device turned it into $(ls -l "$tmp/null")"
    [ ! -e "$tmp/null.meta" ] && ok || bad "-o a device wrote a .meta beside it"
    ls "$tmp" | grep -q 'null\.convbench-' && bad "-o a device left a temporary file" || ok
    rm -f "$tmp/null"
else
    echo "NOTE: mknod needs root: the device case ran on /dev/null itself, read-only checks"
    "$bin" --verify-only -q -t 1 -l regular -o /dev/null "$seed" >/dev/null 2>&1
    expect_exit 0 $? "-o /dev/null"
    [ -c /dev/null ] && ok || bad "/dev/null is no longer a device"
fi
# a FIFO is written in place too, read by whoever opened it
step "-o naming a FIFO"
mkfifo "$tmp/fifo"
# (bounded: a convbench that replaced the FIFO would leave its reader waiting)
timeout 60 cat "$tmp/fifo" >"$tmp/from-fifo.csv" &
reader=$!
timeout 60 "$bin" --verify-only -q -t 1 -l regular -v naive -o "$tmp/fifo" "$seed" >/dev/null 2>&1
expect_exit 0 $? "-o a FIFO"
wait "$reader"
[ -p "$tmp/fifo" ] && ok || bad "-o a FIFO replaced it"
[ "$(wc -l <"$tmp/from-fifo.csv")" -eq 2 ] && ok || bad "the FIFO's reader got $(wc -l <"$tmp/from-fifo.csv") lines, want 2"

# -o naming a symlink: its target gets the result, the link stays a link
step "-o naming a symlink"
echo "earlier" >"$tmp/target.csv"
ln -s target.csv "$tmp/link.csv"
"$bin" --verify-only -q -t 1 -l regular -o "$tmp/link.csv" "$seed" >/dev/null 2>&1
expect_exit 0 $? "-o a symlink"
[ -L "$tmp/link.csv" ] && ok || bad "-o a symlink replaced the link"
head -n 1 "$tmp/target.csv" | grep -q '^config,layer,' && ok || bad "the link's target was not written"
[ -f "$tmp/target.meta" ] && ok || bad "no .meta beside the link's target"

# -o that cannot be written: bad usage before anything runs (a run of the
# slow layer under naive would take seconds)
step "-o that cannot be written"
for path in "" "$tmp" "$tmp/no-such-dir/x.csv"; do
    timeout 60 "$bin" --verify-only -q -v naive -o "$path" "$tmp/slow.ini" >/dev/null 2>"$tmp/err.txt"
    expect_exit 2 $? "-o '$path'"
done
expect_message "convbench: -o $tmp/no-such-dir/x.csv: the directory $tmp/no-such-dir does not exist" \
    "$tmp/err.txt" "-o in a missing directory"
timeout 60 "$bin" --verify-only -q -o "$tmp" "$seed" >/dev/null 2>"$tmp/err.txt"
expect_message "convbench: -o $tmp: is a directory; expected a file name" "$tmp/err.txt" "-o a directory"

# two SIGTERMs in a row (what GNU timeout sends: to the child, then to its
# process group): the rows finished go to .partial.csv, the earlier pair
# stays, no temporary file is left
echo "earlier result" >"$tmp/sig.csv"
echo "earlier meta" >"$tmp/sig.meta"
step "two SIGTERMs in a row"
start -q -t 1 -v naive --min-time=0.3 --reps=1 --no-plot -o "$tmp/sig.csv" \
    "$src/configs/vgg16.ini" >/dev/null 2>"$tmp/sig.txt"
wait_lines "$tmp/sig.csv.convbench-*" 2 || bad "no row before convbench exited: $(cat "$tmp/sig.txt")"
kill -TERM "$pid"
sleep 0.3
kill -TERM "$pid"
finish
expect_exit 143 $? "two SIGTERMs"
[ "$(cat "$tmp/sig.csv")" = "earlier result" ] && [ "$(cat "$tmp/sig.meta")" = "earlier meta" ] &&
    ok || bad "two SIGTERMs touched the earlier result"
if [ -f "$tmp/sig.partial.csv" ]; then
    [ "$(wc -l <"$tmp/sig.partial.csv")" -ge 2 ] && ok || bad "the partial CSV has no row"
    grep -q '^interrupted = SIGTERM, then a second signal' "$tmp/sig.partial.meta" && ok ||
        bad "the partial .meta does not say it was interrupted"
    rows=$(($(wc -l <"$tmp/sig.partial.csv") - 1))
    grep -qx "csv_rows = $rows" "$tmp/sig.partial.meta" && ok || bad "partial .meta csv_rows"
else
    bad "two SIGTERMs left no sig.partial.csv: $(cat "$tmp/sig.txt")"
fi
ls "$tmp" | grep -q 'convbench-' && bad "two SIGTERMs left a temporary file: $(ls "$tmp")" || ok
# both at once (they may arrive as one): the same outcome
rm -f "$tmp/sig.partial.csv" "$tmp/sig.partial.meta"
step "two SIGTERMs at once"
start -q -t 1 -v naive --min-time=0.3 --reps=1 --no-plot -o "$tmp/sig.csv" \
    "$src/configs/vgg16.ini" >/dev/null 2>"$tmp/sig.txt"
wait_lines "$tmp/sig.csv.convbench-*" 2 || bad "no row before convbench exited: $(cat "$tmp/sig.txt")"
kill -TERM "$pid"
kill -TERM "$pid"
finish
expect_exit 143 $? "two SIGTERMs at once"
[ "$(wc -l <"$tmp/sig.partial.csv" 2>/dev/null || echo 0)" -ge 2 ] && ok ||
    bad "two SIGTERMs at once lost the finished rows: $(cat "$tmp/sig.txt")"

# --verify-only stops after the row under way, not after the layer
step "SIGINT in --verify-only"
start --verify-only -q -t 1 -v naive,im2col-gemm,winograd-4x3 -o "$tmp/verify.csv" \
    "$tmp/slow.ini" >/dev/null 2>"$tmp/verify.txt"
wait_lines "$tmp/verify.csv.convbench-*" 1 ||
    bad "no header before convbench exited: $(cat "$tmp/verify.txt")"
kill -INT "$pid"
finish
expect_exit 130 $? "SIGINT in --verify-only"
[ "$(wc -l <"$tmp/verify.partial.csv" 2>/dev/null || echo 0)" -eq 2 ] && ok ||
    bad "SIGINT in --verify-only: $(($(wc -l <"$tmp/verify.partial.csv") - 1)) rows, want 1 (the row under way)"

# a signal while the charts are drawn: forwarded to gnuplot, whose process
# group is gone when convbench exits 130; no chart is drawn after
if command -v gnuplot >/dev/null 2>&1; then
    step "SIGINT while plotting"
    mkdir "$tmp/plot"
    # standard input an open pipe that never speaks (as under a CI runner):
    # a gnuplot that took the signal as "stop this plot" would wait on it
    mkfifo "$tmp/silent"
    sleep 150 >"$tmp/silent" &
    silent=$!
    start -q -t 1 -v naive --min-time=0 --reps=1 -o "$tmp/plot/run.csv" "$seed" \
        <"$tmp/silent" >/dev/null 2>"$tmp/plot.txt"
    while kill -0 "$pid" 2>/dev/null && ! ls "$tmp/plot" | grep -q '\.png$'; do
        sleep 0.05
    done
    kill -INT "$pid" 2>/dev/null || bad "convbench had exited before its first chart was seen"
    finish
    expect_exit 130 $? "SIGINT while plotting"
    before=$(ls "$tmp/plot" | wc -l)
    sleep 1
    [ "$(ls "$tmp/plot" | wc -l)" -eq "$before" ] && ok || bad "charts were drawn after convbench exited"
    pgrep -f "out='$tmp/plot/run-" >/dev/null && bad "gnuplot outlived convbench" || ok
    kill "$silent" 2>/dev/null
    grep -q 'interrupted while drawing the charts' "$tmp/plot.txt" && ok ||
        bad "SIGINT while plotting: $(cat "$tmp/plot.txt")"
    [ -f "$tmp/plot/run.csv" ] && ok || bad "the result of a run interrupted while plotting is missing"
    # a plotter that ignores SIGTERM (as a gnuplot stuck in its own SIGINT
    # handler would) is killed with its group a little later, and the run
    # still ends 130 (without the kill the watchdog would end it: 137)
    step "a plotter that will not stop"
    mkdir "$tmp/stuck" "$tmp/stuck-bin"
    cat >"$tmp/stuck-bin/gnuplot" <<'STUCK'
#!/bin/sh
trap '' INT TERM
: >"$STUCK_MARK"
while :; do sleep 1; done
STUCK
    chmod +x "$tmp/stuck-bin/gnuplot"
    PATH="$tmp/stuck-bin:$PATH" STUCK_MARK="$tmp/stuck/started" "$bin" -q -t 1 -v naive \
        --min-time=0 --reps=1 -o "$tmp/stuck/run.csv" "$seed" >/dev/null 2>"$tmp/stuck.txt" &
    pid=$!
    (sleep 120 && kill -KILL "$pid") >/dev/null 2>&1 </dev/null &
    watchdog=$!
    while kill -0 "$pid" 2>/dev/null && [ ! -e "$tmp/stuck/started" ]; do
        sleep 0.05
    done
    kill -INT "$pid" 2>/dev/null || bad "convbench had exited before its plotter started"
    finish
    expect_exit 130 $? "SIGINT with a plotter that will not stop"
    pgrep -f "$tmp/stuck-bin/gnuplot" >/dev/null && bad "the stuck plotter outlived convbench" || ok
else
    echo "NOTE: gnuplot is not installed: no signal while plotting"
    bad "gnuplot missing (scripts/bootstrap installs it)"
fi

# a full disk between the CSV and its .meta (a file size limit the CSV fits
# under and the .meta does not): neither earlier file is replaced
# (the .meta names each config path twice; four configs in a 240-character
# directory make it over 2 KiB while the CSV stays under 1 KiB; ulimit -f counts
# 512-byte blocks in dash, 1024-byte ones in some shells: 2 KiB either way)
step "a .meta that does not fit"
long=$tmp/$(printf 'long-directory-name-%.0s' 1 2 3 4 5 6 7 8 9 10 11 12)
mkdir "$long"
blocks=4
(ulimit -f 1; trap '' XFSZ; dd if=/dev/zero of="$tmp/unit" bs=600 count=1) 2>/dev/null && blocks=2
cp "$seed" "$long/seed.ini"
echo "earlier result" >"$tmp/pair.csv"
echo "earlier meta" >"$tmp/pair.meta"
(
    trap '' XFSZ
    ulimit -f "$blocks"
    exec "$bin" --verify-only -q -t 1 -v naive -l regular -o "$tmp/pair.csv" "$long/seed.ini" \
        "$long/seed.ini" "$long/seed.ini" "$long/seed.ini"
) >/dev/null 2>"$tmp/pair.txt"
expect_exit 3 $? "a .meta that cannot be written"
grep -qF "convbench: $tmp/pair.meta: cannot write: File too large; $tmp/pair.csv is left as it was" \
    "$tmp/pair.txt" && ok || bad "not the .meta failing: $(cat "$tmp/pair.txt")"
[ "$(cat "$tmp/pair.csv")" = "earlier result" ] && [ "$(cat "$tmp/pair.meta")" = "earlier meta" ] &&
    ok || bad "a failed .meta left the pair as $(head -c 40 "$tmp/pair.csv") / $(head -c 40 "$tmp/pair.meta")"
ls "$tmp" | grep -q 'pair\..*convbench-' && bad "a failed commit left a temporary file" || ok
# with room, the same run writes the pair, and the .meta names every config whole
"$bin" --verify-only -q -t 1 -v naive -l regular -o "$tmp/pair.csv" "$long/seed.ini" \
    "$long/seed.ini" "$long/seed.ini" "$long/seed.ini" >/dev/null 2>&1
expect_exit 0 $? "the pair with room"
grep -qxF "configs = $long/seed.ini $long/seed.ini $long/seed.ini $long/seed.ini" "$tmp/pair.meta" &&
    ok || bad "the .meta cut the config paths: $(grep '^configs' "$tmp/pair.meta" | head -c 80)"
# a written pair names each other: csv_rows and csv_bytes
"$bin" --verify-only -q -t 1 -l regular -o "$tmp/named.csv" "$seed" >/dev/null 2>&1
grep -qx "csv_bytes = $(wc -c <"$tmp/named.csv")" "$tmp/named.meta" &&
    grep -qx "csv_rows = $(($(wc -l <"$tmp/named.csv") - 1))" "$tmp/named.meta" && ok ||
    bad "the .meta does not name its CSV's bytes and rows"

# temporary files of a killed run are removed by the next run into the same
# result; one whose process is alive is another run's, and stays
step "temporary files of killed runs"
sh -c 'exit 0' &
dead=$!
wait "$dead"
: >"$tmp/orphan.csv.convbench-$dead-AbCdEf"
: >"$tmp/orphan.meta.convbench-$dead-AbCdEf"
: >"$tmp/orphan.csv.convbench-$$-AbCdEf"
"$bin" --verify-only -q -t 1 -l regular -o "$tmp/orphan.csv" "$seed" >/dev/null 2>"$tmp/orphan.txt"
expect_exit 0 $? "a run beside orphans"
[ ! -e "$tmp/orphan.csv.convbench-$dead-AbCdEf" ] && [ ! -e "$tmp/orphan.meta.convbench-$dead-AbCdEf" ] &&
    ok || bad "the orphans of process $dead were left"
[ -e "$tmp/orphan.csv.convbench-$$-AbCdEf" ] && ok || bad "a live process's temporary file was removed"
grep -qF "convbench: removed $tmp/orphan.csv.convbench-$dead-AbCdEf, left by an earlier run (process $dead) that did not finish" \
    "$tmp/orphan.txt" && ok || bad "the removal was not reported: $(cat "$tmp/orphan.txt")"

# configs that are not regular files are refused at once
step "configs that are not files"
mkfifo "$tmp/config-fifo"
for config in "$tmp/config-fifo" /dev/zero "$tmp"; do
    timeout 20 "$bin" --summary "$config" >/dev/null 2>"$tmp/err.txt"
    expect_exit 2 $? "config $config"
done
timeout 20 "$bin" --summary "$tmp/config-fifo" >/dev/null 2>"$tmp/err.txt"
expect_message "$tmp/config-fifo: is a FIFO, not a config file" "$tmp/err.txt" "a FIFO config"
timeout 20 "$bin" --summary /dev/zero >/dev/null 2>"$tmp/err.txt"
expect_message "/dev/zero: is a character device, not a config file" "$tmp/err.txt" "/dev/zero"
timeout 20 "$bin" --summary "$tmp" >/dev/null 2>"$tmp/err.txt"
expect_message "$tmp: is a directory, not a config file" "$tmp/err.txt" "a directory config"
head -c $((17 << 20)) /dev/zero | tr '\0' ';' >"$tmp/huge.ini"
"$bin" --summary "$tmp/huge.ini" >/dev/null 2>"$tmp/err.txt"
expect_message "$tmp/huge.ini: 17825792 bytes; a config may have at most 16 MiB" "$tmp/err.txt" \
    "a 17 MiB config"
"$bin" --summary "$src/tests/bad-configs/totals_overflow.ini" >"$tmp/out.txt" 2>"$tmp/err.txt"
expect_exit 2 $? "--summary of a network whose totals overflow"
grep -q -- '-[0-9]' "$tmp/out.txt" && bad "--summary printed a negative number" || ok

# option values that are wrong: exactly what is wrong, exit 2
step "option values"
check_usage() { # message args...
    want=$1
    shift
    timeout 60 "$bin" "$@" "$seed" >/dev/null 2>"$tmp/err.txt"
    expect_exit 2 $? "$*"
    expect_message "$want" "$tmp/err.txt" "$*"
}
check_usage "convbench: option '--quiet' takes no value" --quiet=1
check_usage "convbench: --summary and --export-ini exclude each other" --summary --export-ini
check_usage "convbench: option '--help' takes no value" --help=x
check_usage "convbench: option '--verify-only' takes no value" --verify-only=yes
check_usage "convbench: option '--verify-only' takes no value" --verif=yes
check_usage "convbench: --threads=1,,2: an empty item in the list" --threads=1,,2
check_usage "convbench: --threads=1,2,1: 1 is given twice" --threads=1,2,1
check_usage "convbench: --variants=naive,,naive: an empty item in the list" -v naive,,naive
check_usage "convbench: --variants=naive,naive: naive is given twice" -v naive,naive
check_usage "convbench: --peak-gflops=100,: an empty item in the list" --peak-gflops=100, -t 1
check_usage "convbench: --max-memory=64T is more than this machine's memory ($(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo) GiB)" \
    --max-memory=64T

# two configs with one base name would write one results/seed.csv
step "two configs with one base name"
mkdir "$tmp/other" "$tmp/cwd"
cp "$seed" "$tmp/other/seed.ini"
(cd "$tmp/cwd" && "$bin" --verify-only -q "$seed" "$tmp/other/seed.ini" >/dev/null 2>"$tmp/err.txt")
expect_exit 2 $? "two configs named seed"
expect_message "convbench: $seed and $tmp/other/seed.ini would both write results/seed.csv: rename one, or give -o FILE to put every config into one file" \
    "$tmp/err.txt" "two configs named seed"
[ -z "$(ls "$tmp/cwd/results" 2>/dev/null)" ] && ok || bad "two configs named seed wrote $(ls "$tmp/cwd/results")"

report
