"""SQLAlchemy models, the database handle and one repository per aggregate."""
