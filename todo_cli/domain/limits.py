"""Every data limit, named once.

The models' validators, the SQLAlchemy tables and the migrations' CHECK
constraints all read these, so the three layers can never disagree.
"""

from typing import Final

TASK_TITLE_MAX: Final = 200
TASK_DESCRIPTION_MAX: Final = 2000
CONVERSATION_TITLE_MAX: Final = 200
MESSAGE_CONTENT_MAX: Final = 5000
USER_NAME_MAX: Final = 100
ROLES: Final = ("user", "assistant")
# A UUID prefix shorter than this matches too much to be a useful handle.
UUID_PREFIX_MIN: Final = 4
