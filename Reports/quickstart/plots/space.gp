set terminal svg size 760,440 noenhanced font "sans,11"
set output "space.svg"
set title "Space allocated on the SR over time (mean over replicates)"
set xlabel "simulated time (s)"
set ylabel "allocated (GiB)"
set grid
set key outside right top
plot "space.dat" index 0 using 1:2 with lines lw 4.00 dt 1 lc rgb "#0072B2" title "batmap-on chain.depth=1", \
  '' index 1 using 1:2 with lines lw 3.50 dt 2 lc rgb "#0072B2" title "batmap-on chain.depth=8", \
  '' index 2 using 1:2 with lines lw 3.00 dt 3 lc rgb "#0072B2" title "batmap-on chain.depth=17", \
  '' index 3 using 1:2 with lines lw 2.50 dt 4 lc rgb "#D55E00" title "batmap-off chain.depth=1", \
  '' index 4 using 1:2 with lines lw 2.00 dt 5 lc rgb "#D55E00" title "batmap-off chain.depth=8", \
  '' index 5 using 1:2 with lines lw 1.50 dt 1 lc rgb "#D55E00" title "batmap-off chain.depth=17"
