"""`todo chat-log`: conversations of user and assistant messages."""
