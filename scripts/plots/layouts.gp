# Which layout the network should run in: its time (layers as a chain, from
# NCHW to NCHW) with every layer on its fastest variant writing one layout,
# and for the best mixed schedules, split into the layers' time and the
# measured conversions between layouts (through NCHW between two others).
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", layouts_title) noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.6
set yrange [0:*]
set xrange [-0.6:layout_bars - 0.4]
set ylabel 'network time, ms (lower is better)'
set xtics scale 0 noenhanced
plot dir.'/layouts.dat' using 2:xtic(1) title 'layers' lc rgb '#1f77b4', \
     '' using 3 title 'layout conversions' lc rgb '#ff7f0e'
