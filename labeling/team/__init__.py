"""The team page: per annotator the work done, their pace, agreement with the others and
accuracy on gold items; per label where the team disagrees."""
