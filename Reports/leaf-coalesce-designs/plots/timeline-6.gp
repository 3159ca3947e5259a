set terminal svg size 760,440 noenhanced font "sans,11"
set output "timeline-6.svg"
set title "Background work, sm-2024-08 vms.rate=5.0, replicate 0"
set xlabel "simulated time (min)"
set ylabel ""
set grid
set key outside right top
set ytics ("GC" 0, "VDI 4399e884" 1)
set yrange [-1:2]
plot "timeline-6.dat" index 0 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#0072B2" title "leaf", \
  '' index 1 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#D55E00" title "pause"
