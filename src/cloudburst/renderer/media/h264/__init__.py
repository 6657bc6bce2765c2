"""Just enough H.264 to repeat a picture without encoding it again: NAL units, parameter sets, skip slices."""
