# Measured time against theoretical MACs, log-log, one point per layer and
# variant, coloured by kind; the dashed lines are constant throughput.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", time_title) noenhanced
set logscale xy
set xlabel 'theoretical MACs per layer (log scale)'
set ylabel 'median time, microseconds (log scale)'
set format x '10^{%T}'
set format y '10^{%T}'
set key outside right top
# one layer (or layers of equal MACs) would leave gnuplot an empty x range
stats dir.'/points.dat' using 1 nooutput
if (STATS_min == STATS_max) set xrange [STATS_min / 2 : STATS_max * 2]
# a rate of G GFLOP/s: t_us = 2 * macs / (G * 1e3)
rate(x, g) = 2.0 * x / (g * 1e3)
have_peak = (peak == peak)
plot for [k in kinds_present] dir.'/points.dat' index (k + 0) using 1:2:(shape($7)) with points pt variable ps 1.1 \
        lc rgb kind_color(k + 0) notitle, \
     for [k in kinds_present] NaN with points pt 7 ps 1.1 lc rgb kind_color(k + 0) title word('regular grouped depthwise pointwise', k + 1), \
     for [v = 1:words(variant_names)] NaN with points pt shape(v - 1) ps 1.1 lc rgb '#555555' title word(variant_names, v), \
     have_peak ? rate(x, peak) : 1/0 with lines dt 2 lc rgb '#444444' title 'at the measured peak', \
     have_peak ? rate(x, peak / 10) : 1/0 with lines dt 3 lc rgb '#888888' title 'at 10% of peak', \
     have_peak ? rate(x, peak / 100) : 1/0 with lines dt 4 lc rgb '#bbbbbb' title 'at 1% of peak'
