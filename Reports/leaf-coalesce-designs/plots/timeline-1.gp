set terminal svg size 760,440 noenhanced font "sans,11"
set output "timeline-1.svg"
set title "Background work, live vms.rate=20.0, replicate 0"
set xlabel "simulated time (s)"
set ylabel ""
set grid
set key outside right top
set ytics ("GC" 0)
set yrange [-1:1]
plot "timeline-1.dat" index 0 using 1:2:($3-$1):(0) with vectors nohead lw 8 title "leaf"
