"""The data explorer: a version's items with their labels, filtered and paged by keyset, and one
item's whole story. On the labeling floor because it shows labels; the data filters come from
``datasets`` below it."""
