"""The Robson Ten Group Classification (WHO): groups, classifying a birth, reading an anonymised
file of births into counts, and the report table with its discussion notes.

Pure functions only: no request, no database. The pages, forms and stored counts that use them
live elsewhere.
"""
