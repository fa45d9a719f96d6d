# Shared by every chart: the terminal (format = 'png' or 'svg'), the run's
# parameters (params.gp from convbench --plot-data), and a common look.
load dir.'/params.gp'
if (format eq 'svg') {
    set terminal svg size 1280,720 dynamic enhanced font 'Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size 1280,720 enhanced font 'Sans,11' background rgb 'white'
}
set output out
set grid ytics lc rgb '#dddddd'
# titles state a finding and run long
set title font ',10'
set border 3
set tics nomirror
set key outside right top vertical Left reverse noenhanced box lc rgb '#cccccc'
set datafile missing 'NaN'
# twelve distinct series colours (gnuplot's default set has eight, and a run
# with every variant has nine, plus 'fastest')
palette = '#4d4d4d #1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #17becf #bcbd22 #7f7f7f #aec7e8'
do for [i = 1:12] { set linetype i lc rgb word(palette, i) lw 1.5 pt 7 }
# one colour per kind: regular, grouped, depthwise, pointwise, block
kind_color(i) = word('#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd', i + 1)
# one point shape per variant (its place among the variants shown), in the
# scatter charts where colour stands for the kind
shapes = '7 5 9 13 11 15 6 4 8 12 10 14 1 2 3'
shape(k) = word(shapes, int(k) % 15 + 1) + 0
