"""The project settings page: labels, scale, overlap and guidelines, under labeling's rules
(``labeling.services.project_settings_update``, the service the API calls too)."""
