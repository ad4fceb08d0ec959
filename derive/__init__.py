"""derive: derive, verify and typeset the gradients of word2vec losses."""
__version__ = "0.1.0"
