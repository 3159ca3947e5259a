set terminal svg size 760,440 noenhanced font "sans,11"
set output "timeline-6.svg"
set title "Background work, snapshot-coalesce-2019 vms.rate=5.0, replicate 0"
set xlabel "simulated time (s)"
set ylabel ""
set grid
set key outside right top
set ytics ("GC" 0, "VDI b4ef6799" 1)
set yrange [-1:2]
plot "timeline-6.dat" index 0 using 1:2:($3-$1):(0) with vectors nohead lw 8 title "leaf", \
  '' index 1 using 1:2:($3-$1):(0) with vectors nohead lw 8 title "pause"
