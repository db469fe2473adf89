"""Pure statistics for the survey part (服务对象测评) and the 1000-point total.

Plain data and NumPy arrays in, plain data out; nothing here knows about Flask or the database.

    responses_io  Responses (the column arrays) and the CSV readers
    screening     which responses are excluded, each with a reason code
    scoring       response scores, unit indices, points, flags, ranks; the RESULT dict
    intervals     Wilson intervals, Welch–Satterthwaite t intervals of the index, empirical-Bayes shrinkage
    ranking       competition ranking (1, 2, 2, 4) within a category
    totals        validating imported parts and combining them into the 1000-point total
"""
