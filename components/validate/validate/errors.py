"""The errors of the validate component. Every message names the file, column, key or value at fault."""


class ValidateError(Exception):
    """Bad input to validate: an unreadable data file or a bad setting."""


class SchemaError(ValidateError):
    """A schema file is missing, unreadable or invalid, or a schema cannot be inferred."""


class DataValidationError(ValidateError):
    """Data broke the schema: one message names every failing split, column and value."""
