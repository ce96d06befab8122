"""The demo data set: a synthetic city of enterprises, units and appeals."""
