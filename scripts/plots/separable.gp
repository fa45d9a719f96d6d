# For each family of separable.ini (one regular layer and its grouped and
# depthwise-separable forms): the theoretical MAC saving against the speed-up
# actually measured (fastest verified variant of each layer). On the y = x
# line a form is as much faster as it is cheaper; below it, some of the
# saving is lost to memory traffic and lower arithmetic intensity.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", \
    separable_title) noenhanced
set logscale xy 2
set xlabel 'theoretical MAC saving: MACs(regular) / MACs(form) (log scale)'
set ylabel 'measured speed-up: time(regular) / time(form) (log scale)'
set xrange [1:64]
set yrange [0.25:64]
set key outside right top
plot x with lines dt 2 lc rgb '#444444' title 'y = x (all of the saving)', \
     for [f = 1:words(families)] dir.'/separable.dat' \
        using ($2 == f && strcol(3) ne 'dw+pw' ? $4 : 1/0):5 with points pt 7 ps 1.3 lc f \
        title sprintf('%s grouped (G = 2 .. 32)', word(families, f)), \
     for [f = 1:words(families)] dir.'/separable.dat' \
        using ($2 == f && strcol(3) eq 'dw+pw' ? $4 : 1/0):5 with points pt 5 ps 1.6 lc f \
        title sprintf('%s depthwise-separable (dw + pw)', word(families, f)), \
     dir.'/separable.dat' using 4:5:3 with labels offset 0.9, -0.6 left font ',8' tc rgb '#555555' notitle
