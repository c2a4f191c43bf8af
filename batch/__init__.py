"""Corpus mode: tag a whole corpus into one file, in resumable parts, locally or on Ray."""
