"""The table editor's cell delegate and the cell editors it opens."""
