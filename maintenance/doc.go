// Package maintenance computes AKS planned maintenance windows: given a
// window as the maintenanceConfigurations API describes it (a daily,
// weekly, absolute-monthly or relative-monthly schedule, a start time and
// UTC offset, a duration and dates on which it never opens) and a moment,
// it says whether the window is open and when it next opens and closes.
// It is pure: time comes in as an argument.
package maintenance
