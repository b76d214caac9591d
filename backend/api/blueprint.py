"""Our flask-smorest Blueprint: house pagination defaults."""
from flask_smorest import Blueprint as _Blueprint


class Blueprint(_Blueprint):
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}
