// Baseline: a bundle with nothing in it, i.e. what importing any bundle costs at the least.
export {};
