"""Server-rendered pages (Jinja2 templates, one stylesheet, a little plain JavaScript)."""
