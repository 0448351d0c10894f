import History
