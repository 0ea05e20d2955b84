"""vigil's exceptions. Library code raises these; only the CLI turns them into exit codes."""


class VigilError(Exception):
    """Something vigil cannot go on with; the message says what, and where."""

    exit_code = 1


class ConfigError(VigilError):
    """A VIGIL_* setting is missing, malformed or contradicts another."""


class TopicMismatch(VigilError):
    """An existing topic cannot be used as it is (its partition count, for one)."""


class IncompatibleFaust(VigilError):
    """The installed faust-streaming is not the one vigil's transport was written for."""


class StateVersionError(VigilError):
    """A stored state was written by an encoding this version cannot read."""


class GoldenSetInvalid(VigilError):
    """A golden-set file has lines vigil cannot read; the message names each file:line."""

    exit_code = 2
