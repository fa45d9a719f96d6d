#!/bin/sh
# The report page after a run: self-contained (every chart inline as SVG, no
# script, nothing fetched from elsewhere), with the machine and the summary;
# and headless Chromium loads it from disk with no console error and takes a
# screenshot that shows content. A page with a console error must be caught
# by the same check. Skipped (77), saying so, where gnuplot or Chromium is not
# installed (scripts/test installs both and counts a skip as a failure).
# Usage: report.sh BIN SRC
. "$(dirname "$0")/lib.sh"
command -v gnuplot >/dev/null 2>&1 || { echo "SKIP: gnuplot is not installed"; exit 77; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "SKIP: Chromium is not installed"; exit 77; }

"$bin" -q -t 1 -v naive,im2col-gemm,depthwise --min-time 0.001 --reps 2 -o "$tmp/r.csv" \
    "$src/configs/seed.ini" >"$tmp/run.txt" 2>&1
expect_exit 0 $? "a run with charts"
page=$tmp/r.html
if [ ! -s "$page" ]; then
    bad "no report page $page after the run: $(tail -n 3 "$tmp/run.txt")"
    report
    exit
fi
grep -qx "$page" "$tmp/run.txt" && ok || bad "the run does not name $page"
svgs=$(ls "$tmp"/r-*.svg | wc -l)
[ "$(grep -c '<svg' "$page")" -eq "$svgs" ] && ok ||
    bad "the page inlines $(grep -c '<svg' "$page") charts, the run drew $svgs"
grep -q 'cpu_model' "$page" && ok || bad "no machine table on the page"
grep -q 'speed against' "$page" && ok || bad "no closing summary on the page"
grep -qi '<script\|<iframe\|<link\|<img\|@import' "$page" && bad "the page has a script or an external resource" || ok
grep -qiE '(src|href)="?[a-z]+:|url\([a-z]+:' "$page" && bad "the page refers to something elsewhere" || ok
ids=$(grep -o ' id=.[^"'\'' ]*' "$page" | sort | uniq -d | head -n 3)
[ -z "$ids" ] && ok || bad "ids used twice on the page: $ids"

# load PAGE SHOT: Chromium headless renders PAGE to SHOT; its log (with the
# page's console messages) goes to SHOT.log. No network: every host name
# resolves to nothing.
load() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$tmp/profile" --host-resolver-rules='MAP * ~NOTFOUND' \
        --enable-logging=stderr --v=0 --window-size=1280,3000 --screenshot="$2" \
        "file://$1" >"$2.log" 2>&1
}
console_errors() { grep -E 'CONSOLE|Uncaught|ERR_' "$1" | grep -v 'dbus\|gpu\|GPU\|sandbox'; }

load "$page" "$tmp/shot.png"
[ -s "$tmp/shot.png" ] && ok || bad "Chromium made no screenshot: $(tail -n 5 "$tmp/shot.png.log")"
errors=$(console_errors "$tmp/shot.png.log")
[ -z "$errors" ] && ok || bad "console errors on the page: $errors"
if [ -s "$tmp/shot.png" ]; then
    # the PNG header's size, and a file size that only content gives (a
    # blank page of this size compresses to a few KiB)
    width=$(od -An -tu1 -j16 -N4 "$tmp/shot.png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
    height=$(od -An -tu1 -j20 -N4 "$tmp/shot.png" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
    [ "$width" -ge 1000 ] && [ "$height" -ge 2000 ] && ok ||
        bad "screenshot is ${width}x$height, want at least 1000x2000"
    [ "$(wc -c <"$tmp/shot.png")" -gt 60000 ] && ok ||
        bad "screenshot is $(wc -c <"$tmp/shot.png") bytes: blank?"
fi

# the console check catches a page that logs an error
printf '<!DOCTYPE html><html><body><p>x</p><script>console.error("planted error")</script></body></html>\n' \
    >"$tmp/bad.html"
load "$tmp/bad.html" "$tmp/bad.png"
console_errors "$tmp/bad.png.log" | grep -q 'planted error' && ok ||
    bad "a planted console error is not seen: $(tail -n 5 "$tmp/bad.png.log")"
report
