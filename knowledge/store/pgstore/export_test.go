package pgstore

// SearchVectorSQL is SearchVector's statement, for tests that read its plan.
var SearchVectorSQL = searchVectorSQL
