set terminal svg size 760,440 noenhanced font "sans,11"
set output "space.svg"
set title "Space allocated on the SR over time (mean over replicates)"
set xlabel "simulated time (hours)"
set ylabel "allocated (GiB)"
set grid
set key outside right top
plot "space.dat" index 0 using 1:2 with lines lw 4.00 dt 1 lc rgb "#0072B2" title "request", \
  '' index 1 using 1:2 with lines lw 1.50 dt 2 lc rgb "#D55E00" title "epoch"
