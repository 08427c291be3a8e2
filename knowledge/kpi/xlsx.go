package kpi

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/whybot/whybot/knowledge/limits"
	"github.com/whybot/whybot/knowledge/metric"
)

// readXLSX reads the first sheet of an .xlsx workbook (or the sheet opt names) as a table.
// Cells are read as Excel stores them: a number is the number itself, whatever format it is
// shown in, so no locale applies to it; a date is its serial day.
func readXLSX(name string, r io.Reader, res *metric.Resolver, num *numbers) ([]Row, error) {
	// a workbook unzips to at most what a data file may be (a zip bomb is refused at
	// once); sheets over 1 MiB are read from a temporary file, not held in memory
	f, err := excelize.OpenReader(r, excelize.Options{RawCellValue: true, UnzipSizeLimit: limits.DataFileBytes, UnzipXMLSizeLimit: 1 << 20})
	if err != nil {
		if errors.Is(err, limits.ErrTooLarge) {
			return nil, withLine(&Error{}, name, 0, err)
		}
		if strings.Contains(err.Error(), "unzip size exceeds") { // excelize has no error value for it
			return nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("the workbook unzips to more than %s, the limit: export the sheet as CSV, or split it by year", limits.Size(limits.DataFileBytes))}}}
		}
		return nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("not an .xlsx workbook Excel can open (%v): save it again as Excel Workbook (.xlsx) or export CSV", err)}}}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	sheet := num.Sheet
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("sheet %s is not in the workbook: its sheets are %s", limits.Quote(sheet), strings.Join(sheets, ", "))}}}
	}
	defer rows.Close()
	num.ragged, num.sheetCells = true, true
	return readTable(name+"["+sheet+"]", &sheetTable{rows: rows}, res, num)
}

type sheetTable struct {
	rows *excelize.Rows
	line int
}

func (t *sheetTable) offset() int64 { return 0 } // a workbook is unzipped: its size says little

func (t *sheetTable) next() ([]string, int, error) {
	if !t.rows.Next() {
		if err := t.rows.Error(); err != nil {
			return nil, t.line, fmt.Errorf("read the sheet: %w", err)
		}
		return nil, t.line, io.EOF
	}
	t.line++
	cols, err := t.rows.Columns()
	if err != nil {
		return nil, t.line, fmt.Errorf("read row %d: %w", t.line, err)
	}
	for i, c := range cols {
		if len(c) > limits.FieldBytes {
			return nil, t.line, limits.TooLarge(fmt.Sprintf("cell %d is longer than %s", i+1, limits.Size(limits.FieldBytes)))
		}
	}
	return cols, t.line, nil
}

// machineNumber reads a cell as Excel stores a number: 3412, 0.125, 1.5E-3.
func machineNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, ", ") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// sheetDate turns a date cell's serial day into the period its column means.
func sheetDate(cell string, h hint) (string, bool) {
	if len(cell) < 5 || len(cell) > 12 {
		return "", false
	}
	v, ok := machineNumber(cell)
	if !ok || v < 20000 || v > 80000 {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(v, false)
	if err != nil {
		return "", false
	}
	switch h {
	case hintMonth:
		return t.Format("2006-01"), true
	case hintWeek:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w), true
	}
	return t.Format("2006-01-02"), true
}

// ReadCells reads a table of cells as a workbook's sheet is read (numbers and dates as a
// spreadsheet stores them, unformatted): the Google Sheets API's values. name is used in
// error messages ("Foglio1:3: …").
func ReadCells(name string, cells [][]string, res *metric.Resolver, opt Options) ([]Row, error) {
	cols, err := opt.mapping()
	if err != nil {
		return nil, &Error{Problems: []Problem{{File: name, Msg: err.Error()}}}
	}
	num := &numbers{Options: opt, columns: cols, name: name, ragged: true, sheetCells: true}
	rows, err := readTable(name, &cellTable{cells: cells}, res, num)
	if err != nil {
		return nil, err
	}
	e := &Error{}
	num.check.problems(name, opt, e)
	num.units.problems(opt.Currency, opt.CurrencyWhere, e)
	if e.err() != nil {
		return nil, e.readToEnd(rows)
	}
	return rows, nil
}

type cellTable struct {
	cells [][]string
	line  int
}

func (t *cellTable) offset() int64 { return 0 }

func (t *cellTable) next() ([]string, int, error) {
	if t.line >= len(t.cells) {
		return nil, t.line, io.EOF
	}
	t.line++
	row := t.cells[t.line-1]
	for i, c := range row {
		if len(c) > limits.FieldBytes {
			return nil, t.line, limits.TooLarge(fmt.Sprintf("cell %d is longer than %s", i+1, limits.Size(limits.FieldBytes)))
		}
	}
	return row, t.line, nil
}
