"""File formats, read and written: transcripts, Taskwarrior, todo.txt, own JSON,
ChatGPT, Claude and llm exports."""
