set terminal svg size 760,440 noenhanced font "sans,11"
set output "timeline-1.svg"
set title "Background work, sm, replicate 0"
set xlabel "simulated time (s)"
set ylabel ""
set grid
set key outside right top
set ytics ("GC" 0, "VDI 36a49e14" 1)
set yrange [-1:2]
plot "timeline-1.dat" index 0 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#0072B2" title "coalesce", \
  '' index 1 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#D55E00" title "leaf", \
  '' index 2 using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb "#009E73" title "pause"
