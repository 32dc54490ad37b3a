"""Errors whose message is written for the person using the app or the CLI."""


class DigitlabError(Exception):
    """Bad input that we refuse with a clear, one-line reason."""


class BadImageError(DigitlabError):
    pass


class ImageTooLargeError(BadImageError):
    pass


class EmptyImageError(DigitlabError):
    pass


class ModelFileError(DigitlabError):
    pass
