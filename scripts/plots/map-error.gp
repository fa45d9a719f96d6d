# The accuracy beside the speed: for each variant, the max_rel_err it had at
# every point of the sweeps (log scale; white where it did not run or failed
# verification), one small map per variant on one colour scale.
load plots.'/common.gp'
rows = words(map_rows)
columns = words(map_columns)
n = words(variant_names)
across = ceil(sqrt(n))
down = ceil(n * 1.0 / across)
set multiplot layout down, across title sprintf("%s: %s", config, map_error_title) noenhanced
set xrange [-0.5:columns - 0.5]
set yrange [rows - 0.5:-0.5]
set xtics () font ',7' rotate by -30 noenhanced
set ytics () font ',7' noenhanced
do for [i = 1:columns] { set xtics add (word(map_columns, i) i - 1) }
do for [i = 1:rows] { set ytics add (word(map_rows, i) i - 1) }
set grid noytics
set border 15
unset key
set cbrange [-9:-2]
set palette defined (-9 '#f7fbff', -6 '#6baed6', -4 '#fd8d3c', -2 '#a50f15')
set cbtics font ',7'
do for [k = 1:n] {
    set title word(variant_names, k) noenhanced font ',10'
    plot dir.'/map-error.dat' index (k - 1) using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 lc palette notitle
}
unset multiplot
