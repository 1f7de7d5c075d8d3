"""Every data limit, named once.

The input models and the SQLAlchemy tables read these. Migrations do not: a
revision is history, so each freezes the values it was written with.
"""

from typing import Final

TASK_TITLE_MAX: Final = 200
TASK_DESCRIPTION_MAX: Final = 2000
CONVERSATION_TITLE_MAX: Final = 200
# Real assistant answers run long; 5,000 was a chat API's input limit.
MESSAGE_CONTENT_MAX: Final = 100_000
USER_NAME_MAX: Final = 100
# A UUID prefix shorter than this matches too much to be a useful handle.
UUID_PREFIX_MIN: Final = 4
# Bounds for integer options such as --limit: a signed 32-bit integer, which
# both backends take as a LIMIT and no list will ever reach.
COUNT_MAX: Final = 2**31 - 1
# The largest task number an import keeps from a file (our JSON carries them):
# numbers are handed out above the largest ever held, so #2,147,483,647 kept
# would leave the user none for good. Above it a task is given a new number.
IMPORTED_NUMBER_MAX: Final = 2**30 - 1
TAG_MAX: Final = 50
TAGS_PER_TASK_MAX: Final = 30
PROJECT_MAX: Final = 100
NOTE_MAX: Final = 2000
PRIORITIES: Final = ("H", "M", "L")
# Who said a message (todo_cli.domain.chat.Role, the same in order).
MESSAGE_ROLES: Final = ("user", "assistant")
RECUR_MAX: Final = 16
SOURCE_MAX: Final = 16
SOURCE_ID_MAX: Final = 200
