# Efficiency (GFLOP/s over the measured FMA peak) by kind of layer: the mean
# over the layers of that kind, for the fastest variant of each layer and for
# each variant; a depthwise-separable block counts as one unit.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", \
    efficiency_title) noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel 'efficiency = GFLOP/s / measured FMA peak (mean over layers)'
set xtics scale 0 noenhanced
set bmargin 4
# every kind keeps its place, with data or not (autoscaling to the kinds
# that have data squeezes the others' labels out)
stats dir.'/kinds.dat' using 0 nooutput
set xrange [-0.5:STATS_records - 0.5]
# 'fastest' (the fastest verified variant of each layer) in dark grey, then
# the variants in the same colours as the other charts
plot for [i = 2:variants + 2] dir.'/kinds.dat' using i:xtic(1) title columnheader(i) lt (i == 2 ? 1 : i - 1)
