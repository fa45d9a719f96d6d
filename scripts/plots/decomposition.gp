# The speed-up of each grouped and depthwise-separable form taken apart
# (fastest of convbench's own variants): its time as a percentage of its
# regular layer's, stacked as the ideal (regular time / MAC saving: what the
# MAC saving alone promises) and the three parts of the rest: memory (what
# even the full bandwidth could not avoid), overhead (phases outside the
# main kernel: packing, transforms, edge tiles, waiting) and the kernel
# itself running slower. A bar under the 100% line is a form that is faster
# than its regular layer.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", decomposition_title) noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.8
set yrange [0:*]
set ylabel "form's time, % of its regular layer's"
set xtics rotate by -45 scale 0 noenhanced font ',9'
set key below horizontal maxrows 2 font ',10' title 'time of the form'
set bmargin 9
set arrow 1 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 1.5 lc rgb '#444444'
set label 1 'the regular layer' at graph 0.01, first 100 offset 0, 0.7 font ',10'
plot dir.'/decomposition.dat' using 2:xtic(1) title 'ideal: regular / MAC saving' lc rgb '#9ecae1', \
     '' using 3 title 'memory (bytes / bandwidth beyond the ideal)' lc rgb '#2ca02c', \
     '' using 4 title 'overhead (packing, transforms, edge tiles, waiting)' lc rgb '#ff7f0e', \
     '' using 5 title 'the main kernel running slower' lc rgb '#d62728'
