# Sourced by the benchmark scripts. `median [decimals]`: the median of the
# numbers on stdin, one per line (the mean of the middle two when even).
median() {
    local decimals=${1:-0}
    sort -n | awk -v d="$decimals" '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.*f\n", d, (a[NR/2]+a[NR/2+1])/2}'
}
