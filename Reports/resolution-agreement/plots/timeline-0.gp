set terminal svg size 760,440 noenhanced font "sans,11"
set output "timeline-0.svg"
set title "Background work, request, replicate 0 (short spans widened to 1/200 of the axis)"
set xlabel "simulated time (hours)"
set ylabel ""
set grid
set key outside right top
set ytics ("GC" 0)
set yrange [-1:1]
plot "timeline-0.dat" index 0 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#0072B2" title "coalesce"
