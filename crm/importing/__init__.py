"""Lead spreadsheets that round-trip: which column fills which lead field (`columns`: the fields, every
name they go by in English, Spanish and French, the automatic mapping and the remembered ones), how each
row is read (`checking`: fatal errors reject a row, fixable problems import it with a warning) and the
rejected rows given back as a CSV to fix and re-import (`rejected`). Reading and writing the CSV text
itself is `crm.csvfiles`."""
