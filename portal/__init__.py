"""The internal portal: programme staff run curation, partners, participants and money in a browser."""
